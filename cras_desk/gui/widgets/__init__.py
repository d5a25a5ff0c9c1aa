"""Small widgets the call-flow panels share: a message banner, an inline confirm bar, display formats."""
