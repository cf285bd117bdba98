from liuhen.cli import main

main()
