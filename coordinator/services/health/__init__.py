"""Health: noticing a circle thinning and acting before a need goes unmet. The activity record, load and fair
share, the health page's figures and settings, outreach (asking, re-engaging), reopening a quiet circle, and the
patient's weekly check-in."""
