"""Care: the help itself. Needs and the tasks they become, taking and giving back tasks, who suits which
task, calendar feeds, thank-yous, and what a circle's first page puts in front of each person."""
