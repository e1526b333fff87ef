"""Commands answered natively: from the Kubernetes API, helm's JSON and Argo CD's REST API,
printed as the CLI prints them. base.py is the contract, route.py picks the reader, kubectl/,
helm.py and argocd.py are the readers."""
