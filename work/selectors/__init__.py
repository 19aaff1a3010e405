"""Reads of the to-do home: todo (each role's items, the reviewer's badge count)."""
