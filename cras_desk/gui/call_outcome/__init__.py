"""Recording the outcome of a call in a few keystrokes, with the contact policy's next step shown."""
