"""Helpers shared by the suite's tests (on pytest's `pythonpath`, imported as `support.<module>`)."""
