"""tillit: customer conversations whose privacy notice is executable."""

__version__ = "0.1.0"
