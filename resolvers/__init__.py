"""What the portal does: business rules and use cases as plain async functions (no GraphQL)."""
