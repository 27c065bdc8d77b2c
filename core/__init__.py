"""The bottom layer: settings, logging and the process-status files every package may use.

Imports nothing of Atraxion's own packages."""
