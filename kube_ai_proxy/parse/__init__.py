"""From a command line to a plan, and nothing else: the tokenizer (`words`), the CLIs' specs
(`clispec`), one CLI invocation parsed as cobra and pflag read it (`command`), the pipe
utilities and their options (`stages`), and the plan of a call (`plan`).

Pure: it reads strings and the specs shipped with the package, and imports nothing of
kube_ai_proxy but `errors`. Whether a parsed command may run is judge/'s question, how it runs
is asked later still, so the validator and the executor read the same parse (DESIGN invariant 2).
"""
