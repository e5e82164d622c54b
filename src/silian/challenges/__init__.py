"""揭榜挂帅 challenges on published demands: settings, bids, evaluation and award."""
