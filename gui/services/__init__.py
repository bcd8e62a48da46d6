"""Qt-free services: Docker, files and HTTP. Nothing in this package may import Qt."""
