from caresight.cli import main

main()
