"""The hello service's own code, packaged beside service.py."""
