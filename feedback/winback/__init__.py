"""Win-back mailings: personalised codes for lapsed customers and how many of them came back."""
