"""The letter print queue on the desk: the queue, an in-app preview, printing and batch runs."""
