"""The pages of the app, in the order of the learning path, with their Control tables."""

from ui.nav import PageInfo

from .calibration import controls as calibration
from .formats import controls as formats
from .granularity import controls as granularity
from .home import controls as home
from .matmul import controls as matmul
from .nonuniform import controls as nonuniform
from .quiz import controls as quiz
from .uniform import controls as uniform

PAGES = (
    PageInfo("home", "basics", ":material/home:", "views/home/home.py", home.TABLE),
    PageInfo("formats", "basics", ":material/memory:", "views/formats/formats.py",
             formats.TABLE),
    PageInfo("uniform", "basics", ":material/stairs:", "views/uniform/uniform.py", uniform.TABLE),
    PageInfo("calibration", "ranges", ":material/tune:", "views/calibration/calibration.py",
             calibration.TABLE),
    PageInfo("granularity", "ranges", ":material/grid_view:",
             "views/granularity/granularity.py", granularity.TABLE),
    PageInfo("nonuniform", "beyond", ":material/scatter_plot:",
             "views/nonuniform/nonuniform.py", nonuniform.TABLE),
    PageInfo("matmul", "inference", ":material/calculate:", "views/matmul/matmul.py",
             matmul.TABLE),
    PageInfo("model", "inference", ":material/neurology:"),
    PageInfo("quiz", "class", ":material/quiz:", "views/quiz/quiz.py", quiz.TABLE,
             workspace=False),
)
