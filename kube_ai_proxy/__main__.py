from kube_ai_proxy.main import main

main()
