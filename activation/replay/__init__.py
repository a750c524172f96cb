"""Policy replay: the stored caseload, month by month, under other parameters (issue 16).

``reform`` reads a set of parameter changes; ``continuation`` rebuilds a case's status
history under them from the facts the service recorded (the job's start, the wages, the
previous amount); ``money`` prices a history month by month with the payment rule itself;
``engine`` walks the caseload in chunks, checks the no-change gate and adds up the figures.
"""
