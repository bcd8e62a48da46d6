"""Tests of how the app is shipped: the wheel, the desktop metadata, the PyInstaller bundle."""
