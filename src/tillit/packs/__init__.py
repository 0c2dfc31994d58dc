"""Demo packs: a policy, a knowledge base and fictional business data per organisation."""
