"""`make docs`: the services' OpenAPI and AsyncAPI documents."""
