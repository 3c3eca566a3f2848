"""Services: the rules of the Quality Month over the models. No Textual here."""
