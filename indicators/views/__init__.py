"""The pages and endpoints of the indicators app, one module per page group."""
