"""The editor window: video, timeline, steps and task, over the Qt-free edit session."""
