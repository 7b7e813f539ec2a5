"""Playbook: qualification frameworks and deal answers, objections with their report, the messaging library."""
