"""The planning pages: sprints overview, backlog, planning, board with burndown, velocity."""
