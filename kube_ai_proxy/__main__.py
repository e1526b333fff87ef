from kube_ai_proxy.resident.launcher import main

main()
