"""The verification service: versioned rules decide each request; hard cases go to verifiers."""
