from chemorad.cli.app import main

main()
