from mamba_agents.cli import main

main()
