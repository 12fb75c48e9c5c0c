"""Realistic demo data: services, people of every role and level, and ~200 cases with history."""
