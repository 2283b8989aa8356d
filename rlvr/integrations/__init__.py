"""Adapters that let other trainers use rlvr's verifiers and tasks."""
