"""gconv app entry: the router (navigation, shared sidebar controls, the chosen page, the URL state)."""
from pages.shared import router

router.main()
