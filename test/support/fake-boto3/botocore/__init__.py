"""Just enough of botocore for the handlers under test: its exceptions."""
