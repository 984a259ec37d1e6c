"""The pipeline DSL: grammar, parser, plan, executor and saved queries."""
