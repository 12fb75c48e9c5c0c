"""Fakes of services that cannot run on this machine, built from their published documentation."""
