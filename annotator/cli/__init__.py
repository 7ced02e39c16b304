"""The command line: the same services as the app, without a window."""
