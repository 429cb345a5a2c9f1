"""NPS and CSAT surveys: definitions, answers, and their scores."""
