"""The store: database, models, migrations, documents, agencies, accounts and feedback."""
