"""From an edited recording to what is submitted: render, leak check, (later) the package."""
