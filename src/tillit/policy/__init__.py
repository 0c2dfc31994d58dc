"""The policy register: schema, loader, lint, versions, rendering of the notice and exports."""
