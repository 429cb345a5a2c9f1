"""The core of the loyalty platform: pure Python, no adapters."""
