import sys

from feedback_nlp.cli import main

sys.exit(main())
