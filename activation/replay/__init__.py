"""Policy replay: the stored caseload, month by month, under other parameters (issue 16).

``reform`` reads a set of parameter changes; ``continuation`` rebuilds a case's status
history under them from the facts the service recorded (the job's start, the wages, the
previous amount); ``money`` prices a history month by month with the payment rule itself;
``reads`` fetches a chunk of cases' facts set-based; ``pricing`` prices each case of a range
of the caseload as recorded and under every reform, with the gate's checks; ``figures`` adds
them up (and merges parts priced apart); ``engine`` runs the whole caseload, in one process or
in parts on workers, replays the decisions and reports.
"""
