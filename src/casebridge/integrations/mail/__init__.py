"""E-mail: addresses and threading (``addresses``), sending (``outgoing``), receiving (mailin)."""
