"""Patient choice: the per-service script an advisor reads aloud and the eligible sites to offer."""
