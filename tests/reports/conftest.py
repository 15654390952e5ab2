# The reports are of the EPA app's subjects: the same apprentice, version and people.
from tests.epa.conftest import *  # noqa: F403
