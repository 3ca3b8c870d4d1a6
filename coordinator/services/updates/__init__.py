"""Updates and encouragement: the patient's news, photos with it, and the circle's notes and hearts back."""
