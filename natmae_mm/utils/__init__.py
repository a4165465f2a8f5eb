"""Version compatibility and safe checkpoint loading."""
