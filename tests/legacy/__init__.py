"""Code of earlier releases that tests need in order to produce their stored data."""
