"""Payroll exporters as pluggy plugins (SPEC §8). Imports nothing else of collectief."""
