"""Tenant archives: a whole tenant streamed out as a zip of JSON Lines, and loaded back."""
